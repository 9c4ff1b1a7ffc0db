"""Protection against abuse: who a client is, the rate limits per client, the counters'
storage they share across processes, and the guard on certificate lookups."""
