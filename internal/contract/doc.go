// Package contract holds no code: its tests hold every broker package and
// every emulator package to the one contract of brokerkit — the same names
// with the same signatures and meanings — so that the shapes cannot drift
// apart. A broker that lacks a contract name, or has it with another
// signature, fails to compile here, and so fails the test run.
package contract
