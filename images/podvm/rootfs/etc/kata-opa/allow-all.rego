# The agent policy a pod VM starts with: every request allowed. Initdata may replace it.
package agent_policy

default AllowRequestsFailingPolicy := true
