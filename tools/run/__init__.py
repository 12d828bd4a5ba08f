"""Running and judging: the one executor of the notebooks, the judge of their outputs against the pages, `make lesson`'s runner, the outputs' refresh, and the offline machines' stand-in data."""
