"""Teacher diagnostics: competence results, deficits, individual development routes (ИОМ), courses (ДПП)."""
