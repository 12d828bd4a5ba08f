"""Maintainers' and instructors' jobs: the lesson as Colab runs it, and the room's wheelhouse and its measurement."""
