import MeshNode
import Replicas
import Services

/// The role `caller`'s person holds in `team` (a team ID in hex) as `node`'s replica folds it;
/// nil for the operator, the founder (who may do everything anyway), an account without a
/// person, a person who is not a member and a team the node does not hold. The permission
/// checks take it as the caller's role in that team (PROTOCOL.md section 13). Only a caller
/// it can matter for costs a trip to the node's actor: this runs on every team request.
func memberRole(of caller: Caller?, team: String, on node: Node) async -> Role? {
    guard case let .account(account)? = caller, !account.founder, let person = account.person, let id = OpID(hex: team) else {
        return nil
    }
    return await node.team(id)?.role(of: person)
}
