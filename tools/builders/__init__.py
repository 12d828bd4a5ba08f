"""Building from the pages: the notebooks, the concept figures and the website, and the website's browser check."""
