"""Members and the transfer of their organizational relationship (in the member's stream)."""
