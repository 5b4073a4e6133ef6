"""vc_core.dids."""
