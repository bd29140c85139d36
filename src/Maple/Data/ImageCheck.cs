namespace Maple.Data;

/// <summary>How deeply <see cref="DatasetValidator"/> checks each image.</summary>
public enum ImageCheck
{
    /// <summary>Read the header only (size and format): fast, finds missing, empty and non-image files.</summary>
    Header,

    /// <summary>Decode every pixel as training would: slower, also finds truncated and damaged images.</summary>
    Decode,
}
