-- What the customer chose on their preference page (a signed link): how much they want to
-- engage with the brand and the channel they want to be answered on. The purposes they accept
-- are on the consent ledger (how = 'preference page').
ALTER TABLE contacts ADD COLUMN engagement_level TEXT;
ALTER TABLE contacts ADD COLUMN preferred_channel TEXT;
