"""Network specs, torch builders, the traced forward pass, the inspected backprop step."""
