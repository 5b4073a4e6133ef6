"""vc_core.model."""
