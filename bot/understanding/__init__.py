"""Understanding beyond the classifiers: what a message asks that the knowledge does not
hold, the domain gate's verdict, and the spaCy entity ruler over the catalog's names."""
