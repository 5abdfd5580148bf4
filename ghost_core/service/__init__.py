"""`ghostswap serve`: an optional warm local worker that hosts' `ghostswap bake` calls hand jobs to."""
