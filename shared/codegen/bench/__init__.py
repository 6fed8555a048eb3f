"""Benchmarks of the generated C: instructions per MAC on an emulated Cortex-M7 (portable vs DSP kernels),
host invoke time vs the TFLM runtime, arena bytes vs TFLM's arena. Run: python -m shared.codegen.bench"""
