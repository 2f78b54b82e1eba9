//! TSIG (RFC 8945): checking a signed request against the configured key,
//! and signing responses, including every message of a transfer (the
//! first over the request's MAC, the response and the TSIG variables; the
//! later ones over the prior MAC, the message and the timers only).

use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::dnssec::rdata::tsig::{make_tsig_record, TsigAlgorithm, TSIG};
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::dnssec::tsig::TSigner;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData};
use hickory_proto::serialize::binary::{BinEncodable as _, BinEncoder};
use signet_domain::tsig::{TsigAlgorithm as Algorithm, TsigKey};

/// Seconds of clock difference a signature may show (RFC 8945's 300).
pub const FUDGE: u16 = 300;

/// TSIG error codes (RFC 8945 section 5.2).
const BADSIG: u16 = 16;
const BADKEY: u16 = 17;
const BADTIME: u16 = 18;

/// What a request's signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// No TSIG record.
    Unsigned,
    /// Signed with the configured key, in time: answers are signed over
    /// this MAC.
    Valid(Vec<u8>),
    /// A TSIG record that does not verify: answered NOTAUTH with this TSIG
    /// error.
    Invalid(Failure),
}

/// Why a signature failed, as RFC 8945 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not the configured key (or none is configured).
    BadKey {
        name: Name,
        algorithm: TsigAlgorithm,
    },
    /// The MAC does not verify.
    BadSig {
        name: Name,
        algorithm: TsigAlgorithm,
    },
    /// A good MAC outside the time window: the error answer is signed.
    BadTime { mac: Vec<u8> },
}

/// The configured TSIG key, ready to verify and sign.
#[derive(Clone)]
pub struct Tsig {
    signer: TSigner,
}

impl std::fmt::Debug for Tsig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsig")
            .field("name", self.signer.signer_name())
            .finish_non_exhaustive()
    }
}

impl Tsig {
    /// The signer of `key`.
    pub fn new(key: &TsigKey) -> Self {
        let algorithm = match key.algorithm {
            Algorithm::HmacSha256 => TsigAlgorithm::HmacSha256,
            Algorithm::HmacSha384 => TsigAlgorithm::HmacSha384,
            Algorithm::HmacSha512 => TsigAlgorithm::HmacSha512,
        };
        let name = Name::from_ascii(key.name.as_str()).expect("a DomainName is a valid DNS name");
        let signer = TSigner::new(key.secret().to_vec(), algorithm, name, FUDGE)
            .expect("SHA-2 HMACs are supported");
        Self { signer }
    }

    /// Signs `message` as a request (a NOTIFY): the MAC over the message
    /// and the TSIG variables.
    pub fn sign_request(&self, message: &Message) -> Option<Vec<u8>> {
        let body = message.to_vec().ok()?;
        self.append(body, None, true, 0, Vec::new()).map(|(b, _)| b)
    }

    /// Signs the first (or only) response to a request whose MAC was
    /// `request_mac`; returns the bytes and this message's MAC.
    pub fn sign_response(
        &self,
        response: &Message,
        request_mac: &[u8],
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        let body = response.to_vec().ok()?;
        self.append(body, Some(request_mac), true, 0, Vec::new())
    }

    /// Signs a later message of a transfer after one with MAC `prior_mac`.
    pub fn sign_next(&self, response: &Message, prior_mac: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let body = response.to_vec().ok()?;
        self.append(body, Some(prior_mac), false, 0, Vec::new())
    }

    /// The BADTIME answer: signed over the request's MAC, with the server's
    /// time in the other data.
    fn sign_badtime(&self, response: &Message, request_mac: &[u8]) -> Option<Vec<u8>> {
        let body = response.to_vec().ok()?;
        let now = now().to_be_bytes()[2..].to_vec();
        self.append(body, Some(request_mac), true, BADTIME, now)
            .map(|(b, _)| b)
    }

    /// Appends a TSIG record to the encoded `body`, its MAC computed over
    /// the bytes sent, so what is signed is exactly what goes out.
    fn append(
        &self,
        mut body: Vec<u8>,
        prior: Option<&[u8]>,
        full_variables: bool,
        error: u16,
        other: Vec<u8>,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        let id = u16::from_be_bytes([body[0], body[1]]);
        let pre = TSIG::new(
            self.signer.algorithm().clone(),
            now(),
            FUDGE,
            Vec::new(),
            id,
            error,
            other,
        );
        let mut tbs = Vec::with_capacity(body.len() + 128);
        {
            let mut encoder = BinEncoder::new(&mut tbs);
            if let Some(prior) = prior {
                encoder.emit_u16(u16::try_from(prior.len()).ok()?).ok()?;
                encoder.emit_vec(prior).ok()?;
            }
            encoder.emit_vec(&body).ok()?;
            if full_variables {
                pre.emit_tsig_for_mac(&mut encoder, self.signer.signer_name())
                    .ok()?;
            } else {
                let time = now();
                encoder.emit_u16((time >> 32) as u16).ok()?;
                encoder.emit_u32(time as u32).ok()?;
                encoder.emit_u16(FUDGE).ok()?;
            }
        }
        let mac = self.signer.sign(&tbs).ok()?;
        let record = make_tsig_record(self.signer.signer_name().clone(), pre.set_mac(mac.clone()));
        body.extend(record.to_bytes().ok()?);
        add_to_arcount(&mut body)?;
        Some((body, mac))
    }
}

/// Checks the signature of `request`, whose bytes are `wire`, against
/// `key`.
pub fn check(key: Option<&Tsig>, request: &Message, wire: &[u8]) -> Signature {
    let Some(record) = request.signature().last() else {
        return Signature::Unsigned;
    };
    let RData::DNSSEC(DNSSECRData::TSIG(tsig)) = record.data() else {
        // A SIG(0), which Signet does not take: as a key it does not know.
        return Signature::Invalid(Failure::BadKey {
            name: record.name().clone(),
            algorithm: TsigAlgorithm::HmacSha256,
        });
    };
    let name = record.name().clone();
    let algorithm = tsig.algorithm().clone();
    let Some(key) =
        key.filter(|k| k.signer.signer_name() == &name && k.signer.algorithm() == &algorithm)
    else {
        return Signature::Invalid(Failure::BadKey { name, algorithm });
    };
    match key.signer.verify_message_byte(None, wire, true) {
        Ok((mac, window, _)) if window.contains(&now()) => Signature::Valid(mac),
        Ok((mac, _, _)) => Signature::Invalid(Failure::BadTime { mac }),
        Err(_) => Signature::Invalid(Failure::BadSig { name, algorithm }),
    }
}

/// The NOTAUTH answer to a request whose signature failed, with the TSIG
/// error: unsigned (empty MAC) for a bad key or MAC, signed for a bad time.
pub fn refuse(key: Option<&Tsig>, mut response: Message, failure: &Failure) -> Option<Vec<u8>> {
    response.set_response_code(ResponseCode::NotAuth);
    response.take_answers();
    response.take_name_servers();
    response.take_additionals();
    let (name, algorithm, error) = match failure {
        Failure::BadKey { name, algorithm } => (name, algorithm, BADKEY),
        Failure::BadSig { name, algorithm } => (name, algorithm, BADSIG),
        Failure::BadTime { mac } => return key?.sign_badtime(&response, mac),
    };
    let mut body = response.to_vec().ok()?;
    let tsig = TSIG::new(
        algorithm.clone(),
        now(),
        FUDGE,
        Vec::new(),
        response.id(),
        error,
        Vec::new(),
    );
    body.extend(make_tsig_record(name.clone(), tsig).to_bytes().ok()?);
    add_to_arcount(&mut body)?;
    Some(body)
}

/// Counts the appended TSIG record in the header's ARCOUNT.
fn add_to_arcount(message: &mut [u8]) -> Option<()> {
    let count = u16::from_be_bytes([*message.get(10)?, *message.get(11)?]).checked_add(1)?;
    message[10..12].copy_from_slice(&count.to_be_bytes());
    Some(())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Room a TSIG record takes in a message: name, fixed fields, algorithm
/// name and a SHA-512 MAC, generously.
pub const TSIG_ROOM: usize = 200;

#[cfg(test)]
mod tests {
    use hickory_proto::op::{MessageType, Query};
    use hickory_proto::rr::RecordType;

    use super::*;

    fn key() -> Tsig {
        Tsig::new(&TsigKey::parse("xfr:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0").unwrap())
    }

    fn query() -> Message {
        let mut m = Message::new();
        m.set_id(7).set_message_type(MessageType::Query);
        m.add_query(Query::query(
            Name::from_ascii("z.example.").unwrap(),
            RecordType::AXFR,
        ));
        m
    }

    #[test]
    fn a_signed_request_verifies_and_a_tampered_one_does_not() {
        let key = key();
        let wire = key.sign_request(&query()).unwrap();
        let parsed = Message::from_vec(&wire).unwrap();
        assert!(matches!(
            check(Some(&key), &parsed, &wire),
            Signature::Valid(_)
        ));
        let mut tampered = wire.clone();
        // The RD flag: the ID is not covered (its original is in the TSIG).
        tampered[2] ^= 1;
        let parsed = Message::from_vec(&tampered).unwrap();
        assert!(matches!(
            check(Some(&key), &parsed, &tampered),
            Signature::Invalid(Failure::BadSig { .. })
        ));
        assert!(matches!(
            check(None, &parsed, &tampered),
            Signature::Invalid(Failure::BadKey { .. })
        ));
    }

    #[test]
    fn responses_chain_as_a_client_verifies_them() {
        let key = key();
        let request = query();
        let request_mac = b"request mac".to_vec();
        let (first, mac1) = key.sign_response(&request, &request_mac).unwrap();
        let (mac, _, _) = key
            .signer
            .verify_message_byte(Some(&request_mac), &first, true)
            .unwrap();
        assert_eq!(mac, mac1);
        let (second, mac2) = key.sign_next(&request, &mac1).unwrap();
        let (mac, _, _) = key
            .signer
            .verify_message_byte(Some(&mac1), &second, false)
            .unwrap();
        assert_eq!(mac, mac2);
    }
}
