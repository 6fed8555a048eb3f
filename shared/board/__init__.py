"""Talking to a board: the framed serial protocol, the QEMU emulator, firmware builds and device verification."""
