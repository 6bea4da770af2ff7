//! Just enough EBML (RFC 8794) to walk a WebM file and write a few elements back.

use std::io::{self, Read, Write};

/// A variable-length integer as IDs use it: marker bit kept. `None` at a clean end of input.
pub fn read_id(r: &mut impl Read) -> io::Result<Option<(u32, usize)>> {
    let mut first = [0u8; 1];
    if r.read(&mut first)? == 0 {
        return Ok(None);
    }
    let len = first[0].leading_zeros() as usize + 1;
    if len > 4 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid EBML element id"));
    }
    let mut id = u32::from(first[0]);
    for _ in 1..len {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        id = (id << 8) | u32::from(b[0]);
    }
    Ok(Some((id, len)))
}

/// An element size: marker bit removed; `None` for the reserved "unknown size" value.
pub fn read_size(r: &mut impl Read) -> io::Result<(Option<u64>, usize)> {
    let mut first = [0u8; 1];
    r.read_exact(&mut first)?;
    let len = first[0].leading_zeros() as usize + 1;
    if len > 8 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid EBML size"));
    }
    let mut value = u64::from(first[0]) & (0xff >> len);
    let mut all_ones = value == (0xff >> len);
    for _ in 1..len {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        value = (value << 8) | u64::from(b[0]);
        all_ones &= b[0] == 0xff;
    }
    Ok((if all_ones { None } else { Some(value) }, len))
}

/// Big-endian unsigned integer payload.
pub fn uint(payload: &[u8]) -> u64 {
    payload.iter().take(8).fold(0, |v, &b| (v << 8) | u64::from(b))
}

/// 4- or 8-byte IEEE float payload.
pub fn float(payload: &[u8]) -> Option<f64> {
    match payload.len() {
        4 => Some(f64::from(f32::from_be_bytes(payload.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(payload.try_into().ok()?)),
        _ => None,
    }
}

pub fn write_id(w: &mut impl Write, id: u32) -> io::Result<()> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    w.write_all(&bytes[skip..])
}

/// Sizes are always written in 8 bytes, so an element's header length is known before its
/// content is (which is what lets Cues be laid out ahead of the clusters they point to).
pub fn write_size(w: &mut impl Write, size: u64) -> io::Result<()> {
    let mut bytes = size.to_be_bytes();
    bytes[0] = 0x01;
    w.write_all(&bytes)
}

/// The 8-byte "unknown size" marker: the element runs until its parent ends or a sibling
/// (or higher-level) element starts.
pub fn write_unknown_size(w: &mut impl Write) -> io::Result<()> {
    w.write_all(&[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
}

pub fn id_len(id: u32) -> u64 {
    (4 - (id.leading_zeros() / 8).min(3)) as u64
}

/// Length of a whole element whose payload is `payload` bytes (8-byte size).
pub fn element_len(id: u32, payload: u64) -> u64 {
    id_len(id) + 8 + payload
}

pub fn write_uint(w: &mut impl Write, id: u32, value: u64) -> io::Result<()> {
    write_id(w, id)?;
    write_size(w, 8)?;
    w.write_all(&value.to_be_bytes())
}

pub fn write_float(w: &mut impl Write, id: u32, value: f64) -> io::Result<()> {
    write_id(w, id)?;
    write_size(w, 8)?;
    w.write_all(&value.to_be_bytes())
}

pub fn write_string(w: &mut impl Write, id: u32, value: &str) -> io::Result<()> {
    write_id(w, id)?;
    write_size(w, value.len() as u64)?;
    w.write_all(value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_round_trip() {
        let mut out = Vec::new();
        write_id(&mut out, 0x1A45DFA3).unwrap();
        write_size(&mut out, 300).unwrap();
        write_id(&mut out, 0xA3).unwrap();
        let mut r = &out[..];
        assert_eq!(read_id(&mut r).unwrap(), Some((0x1A45DFA3, 4)));
        assert_eq!(read_size(&mut r).unwrap(), (Some(300), 8));
        assert_eq!(read_id(&mut r).unwrap(), Some((0xA3, 1)));
        assert_eq!(read_id(&mut r).unwrap(), None);
        assert_eq!(
            read_size(&mut &[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..]).unwrap(),
            (None, 8)
        );
        assert_eq!(read_size(&mut &[0x81][..]).unwrap(), (Some(1), 1));
        assert_eq!(read_size(&mut &[0xff][..]).unwrap(), (None, 1));
        assert_eq!(id_len(0xA3), 1);
        assert_eq!(id_len(0x4489), 2);
        assert_eq!(id_len(0x2AD7B1), 3);
    }
}
