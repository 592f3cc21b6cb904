// Package runtime holds the rules about the container runtime underneath the
// pods: runtime sockets mounted into containers, Docker daemons run inside
// them, and Docker Engine API ports they expose. Each hands whoever reaches
// it the power to start privileged containers on the node.
package runtime
