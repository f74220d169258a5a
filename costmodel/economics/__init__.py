"""Provider economics, split by concern: cost (fleet, traffic mix, cost per token), margins (price
points, margins, history, context sweep), compare (efficiency story, GPU table, economics()). The method is in
the docstring of costmodel.economics.cost and docs/economics.md.
"""

from __future__ import annotations

from costmodel.economics.compare import Economics, economics, hardware_table
from costmodel.economics.cost import (
    ASCEND_GPUS,
    DEEPSEEK_ASSUMPTIONS,
    DEEPSEEK_FLEET,
    DEEPSEEK_MIX,
    STORY_MODELS,
    TOKEN_TYPES,
    EconomicsError,
    Fleet,
    GpuHourPrice,
    TrafficMix,
    gpu_hour_price,
    token_cost,
)
from costmodel.economics.margins import price_points

__all__ = [
    "ASCEND_GPUS",
    "DEEPSEEK_ASSUMPTIONS",
    "DEEPSEEK_FLEET",
    "DEEPSEEK_MIX",
    "STORY_MODELS",
    "TOKEN_TYPES",
    "Economics",
    "EconomicsError",
    "Fleet",
    "GpuHourPrice",
    "TrafficMix",
    "economics",
    "gpu_hour_price",
    "hardware_table",
    "price_points",
    "token_cost",
]
