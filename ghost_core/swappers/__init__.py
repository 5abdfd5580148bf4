"""Face swappers behind one small interface (`base.Swapper`): `ghost` (AEI-Net) and `morph` (offline)."""
