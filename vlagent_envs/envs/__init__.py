"""Training simulators of the VL-DAC paper, one sub-package per family."""
