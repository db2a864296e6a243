"""Schema machinery every area uses: context, errors, limits, cost, Relay helpers, history, node lookup."""
