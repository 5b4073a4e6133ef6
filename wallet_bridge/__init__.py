"""The wallet bridge role: delivers issued credentials to learners' wallets by OpenID4VCI 1.0."""

__all__: list[str] = []
