package auth

// Settle waits until no refresh of s is in flight, so that a test can
// look at the outcome of a background (refresh-ahead) refresh.
func (s *Source) Settle() {
	for {
		f := s.flight.Load()
		if f == nil {
			return
		}
		<-f.done
	}
}
