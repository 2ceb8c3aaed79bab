"""The model: embedders, text preparation and the multi-label cluster classifier."""
