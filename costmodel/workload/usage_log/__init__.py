"""Workloads from usage logs, split by concern: formats (the supported exports, the generic schema, the
LogImport result), sql (DuckDB reading), importer (import_log, scenario_from_import). The method is in the
docstring of costmodel.workload.usage_log.formats and docs/usage-logs.md.
"""

from __future__ import annotations

from costmodel.workload.usage_log.formats import FORMATS, HistogramBucket, LogImport, UsageLogError
from costmodel.workload.usage_log.importer import import_log, import_log_bytes, scenario_from_import

__all__ = [
    "FORMATS",
    "HistogramBucket",
    "LogImport",
    "UsageLogError",
    "import_log",
    "import_log_bytes",
    "scenario_from_import",
]
