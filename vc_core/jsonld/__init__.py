"""vc_core.jsonld."""
