"""The HNET family: HNET (``hnet``), HNET+ENT (``ent``), HNET+TIR (``tir``) and HNET+R (``replay``),
and what they share: the protected hypernetwork (``protected``) with its output regulariser
(``regulariser``) and Adam lookahead (``lookahead``), and the hypernetwork-protected VAE (``vae``).
"""
