"""Plain functions behind the lab pages: the numbers each page shows, computed by the engine."""
