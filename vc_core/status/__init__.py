"""vc_core.status."""
