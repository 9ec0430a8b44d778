"""Benchmarks (``python -m bench.<kind>``); each prints a JSON object as its last line."""
import platform


def cpu_name() -> str:
    """The CPU's model name and whether it has 8-bit dot products (VNNI), on which the int8 face graph's speed
    depends (a benchmark's figures are the machine's: each says which CPU it ran on)."""
    from ml.runtime import cpu_info
    name, flags = cpu_info()
    name = name or platform.processor() or platform.machine()
    return f"{name}, {'with' if any('vnni' in f for f in flags) else 'without'} VNNI"
