namespace Maple.Clip.Checkpoints;

/// <summary>
/// Thrown when a pickle asks for something outside the allow-list of <see cref="TorchCheckpointReader"/>:
/// a global (class or function) that is not needed to rebuild tensors and plain containers, a way of
/// calling an allowed global that it does not support, an opcode it does not accept, or a TorchScript class
/// that restores its state with the archive's code (<c>__setstate__</c>).
/// Nothing named in the pickle has been executed when this is thrown: the reader never runs code.
/// It is an <see cref="IOException"/> like the reader's other errors (<see cref="InvalidDataException"/>,
/// which is sealed, for files that are damaged rather than refused).
/// </summary>
public sealed class UnsafePickleException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The full message, naming the file and the refused global or opcode.</param>
    /// <param name="filePath">The file whose pickle was refused.</param>
    /// <param name="globalName">The refused global as <c>module.name</c>, if a global was refused.</param>
    /// <param name="opcode">The refused opcode byte, if an opcode was refused.</param>
    public UnsafePickleException(string message, string filePath, string? globalName = null, byte? opcode = null)
        : base(message)
    {
        FilePath = filePath;
        GlobalName = globalName;
        Opcode = opcode;
    }

    /// <summary>The file whose pickle was refused.</summary>
    public string FilePath { get; }

    /// <summary>
    /// The refused global as <c>module.name</c> (for example <c>posix.system</c>, or <c>__torch__.Payload.__setstate__</c>
    /// for a TorchScript class whose state is restored by code), or null when an opcode was refused.
    /// </summary>
    public string? GlobalName { get; }

    /// <summary>The refused opcode byte, or null when a global was refused.</summary>
    public byte? Opcode { get; }
}
