// Package scalesim measures, by simulation, how a federation of hundreds of nodes behaves: the
// real placement package spreads stripes over a static membership (balance, shards moved per
// join and per leave, repair traffic after losing a member) and the real federation DHT and
// shard protocol run over libp2p's mocknet (DHT messages per provide and per lookup, lookups per
// read after joins). It backs `meridian bench --scale`; nothing in a running node imports it.
package scalesim
