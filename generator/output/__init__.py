"""Output: the generated header, planned changes and their diff, the day-2 guard, atomic writes,
prune, the lock of OUTPUT_DIR, and the render use-case (run.py)."""
