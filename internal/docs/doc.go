// Package docs holds no code: its tests hold the README to the code, so
// that what the README promises and shows stays true.
package docs
