"""What every area of the domain shares: commands, the one handling mechanism,
permissions, errors, events, upcasting, privacy, money and the ports."""
