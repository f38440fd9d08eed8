"""众筹: community projects backed by residents' cash (筹资) and labour (筹劳), with a sponsor's match."""
