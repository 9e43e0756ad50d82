"""Pure verification maths: specific consumption, improvement, offsets, data sufficiency."""
