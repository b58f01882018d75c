ed25519 zz
