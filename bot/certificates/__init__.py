"""Certificate status lookups: the store, its import path, and the lookup rules."""
