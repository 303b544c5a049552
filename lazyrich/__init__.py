"""lazyrich (being assembled)."""
