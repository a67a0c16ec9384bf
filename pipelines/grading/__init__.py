"""The risk model: explainable high/medium/low grades per building and day, and how pages read them."""
