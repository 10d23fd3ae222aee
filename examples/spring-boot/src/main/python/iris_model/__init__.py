"""The example's Python side: a scikit-learn classifier served as Snakepit tools."""
