"""Credit lines: the fund's programmes, their partner banks, NCPC and rulebook."""
