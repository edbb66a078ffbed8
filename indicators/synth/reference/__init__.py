"""Reference data shipped with the generator: Guangdong divisions and departments (see README in shared reference)."""
