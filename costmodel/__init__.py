"""Pure cost model for DeepSeek V4 and peers: attention, compute, serving, pricing, comparison.

Nothing in this package imports streamlit.
"""

__version__ = "0.1.0"
