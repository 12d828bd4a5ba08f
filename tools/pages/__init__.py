"""The pages' format: the one reader of the lesson pages (lesson.py) and the time a page takes to teach (minutes.py)."""
