/// The release of this build, reported by `/health`, `elohim --version` and the start banner.
public enum ElohimVersion {
    public static let current = "0.1.0"
}
