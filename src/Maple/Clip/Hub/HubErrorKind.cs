namespace Maple.Clip.Hub;

/// <summary>What went wrong while resolving a model, so callers can react without parsing messages.</summary>
public enum HubErrorKind
{
    /// <summary>The model argument is neither an existing folder nor a valid repository id or revision.</summary>
    InvalidModel,

    /// <summary>Offline mode is on and the model is not (fully) in the cache.</summary>
    Offline,

    /// <summary>The repository, revision or a required file does not exist on the hub.</summary>
    NotFound,

    /// <summary>The hub refused access (401/403): the repository is private or gated, or the token is wrong.</summary>
    Unauthorized,

    /// <summary>The hub could not be reached, or answered with an unexpected status.</summary>
    Network,

    /// <summary>The transfer broke off; the partial file is kept and the next attempt resumes it.</summary>
    Interrupted,

    /// <summary>The downloaded content failed its size or sha256 check and was deleted.</summary>
    Integrity,

    /// <summary>The server's answer lacks what a Hugging Face hub sends (commit hash, ETag).</summary>
    Protocol,
}
