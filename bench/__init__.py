"""Benchmarks (``python -m bench.<kind>``); each prints a JSON object as its last line."""
import platform


def cpu_name() -> str:
    """The CPU's model name and whether it has 8-bit dot products (VNNI), on which the int8 face graph's speed
    depends (a benchmark's figures are the machine's: each says which CPU it ran on)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), platform.machine())
    flags = next((ln.split(":", 1)[1].split() for ln in info if ln.startswith("flags")), [])
    return f"{name}, {'with' if any('vnni' in f for f in flags) else 'without'} VNNI"
