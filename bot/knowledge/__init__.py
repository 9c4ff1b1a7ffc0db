"""The curated knowledge base: its model, the loader that validates `knowledge/`, the
compiler that generates Rasa's training data from it, the answers' texts, which action
answers each intent, and the catalog entries a message names."""
