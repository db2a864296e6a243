"""The grassroots command line."""
